"""pytest plugin of the rig: command-line options, chain fixtures, markers."""
