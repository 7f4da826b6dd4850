"""Gradio web view (live before/after): arrives with the web issue."""
