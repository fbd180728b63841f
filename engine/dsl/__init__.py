"""The workflow language: loading with marks, checking, and compiling into frozen specs."""
