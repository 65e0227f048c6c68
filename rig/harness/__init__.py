"""The machine under test, assembled: chain, emulated or bench hardware, firmware process."""
