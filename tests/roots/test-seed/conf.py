project = "seed models"
extensions = ["sphinx_archviz", "myst_parser"]
myst_enable_extensions = ["colon_fence"]
numfig = True
