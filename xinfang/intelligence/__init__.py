"""Case intelligence: plain-Python cores (no Django) for classification, places, similarity and urgency."""
