"""Layer 4, what runs the engines: training loop, files, checkpoints, gradient checker, stepper, bench."""
