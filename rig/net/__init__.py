"""The network between the firmware and the chain's RPC, and its faults."""
