"""The demo world that ``manage.py load_demo`` creates: data in plain values, and its builder.

``catalogue``, ``advisories`` and ``organizations`` hold the data; ``builder`` creates what is
missing of it. Nothing else in the project imports this package.
"""
