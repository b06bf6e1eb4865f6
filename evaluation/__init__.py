"""Offline evaluation of distillguard: labelled traffic simulation, detector runs, metrics and reports."""
