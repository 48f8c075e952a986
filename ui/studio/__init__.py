"""What runs behind the tabs' GPU endpoints (`delivery.py`: reserving, the GPU call, encoding, signing, keeping)."""
