"""Walk-throughs a user can watch: what `make rig` shows."""
