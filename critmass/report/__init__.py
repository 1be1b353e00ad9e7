"""The report: one module per stage under critmass.report.stages (compute, figures, write), run by
critmass.report.run.build into report.tex, report.pdf, results.json and figures/.

Modules: base (the Stage type), stages (the registry and the stages), style (figures and their checks),
tex (LaTeX pieces), trace (numbers of the .tex against results.json), run (the whole run).
"""
