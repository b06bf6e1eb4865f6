"""distillguard streaming layer: Faust worker, settings, CLI and the local Kafka broker."""
