"""Deadlines: a plain-Python engine (engine.py, policies.py) and the Django tables admins edit."""
