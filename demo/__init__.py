"""Demo data: the shipped workflows published and a few weeks of orders worked (``demo.loader``)."""
