"""The CoffeePay rig: chain, deployment, fault injection, clock, oracle, reports, CLI."""
