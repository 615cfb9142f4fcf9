"""The book: the chapters as a website and as a JupyterLite bundle (issue 18).

``edgelab.book.site`` builds a Sphinx + MyST-NB site from the notebooks that ``edgelab reproduce``
has already executed (``OUT/runs/*.ipynb``), with the survey sections as its table of contents,
the claims summary, the drift report and an instructor's page. ``edgelab.book.lite`` builds the
JupyterLite bundle that runs the torch-free chapters in the browser, served beside the site.
"""
