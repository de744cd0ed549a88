"""Benchmarks (``make bench``): each measures Sprintboard against the bare work underneath, in one run, as ratios."""
