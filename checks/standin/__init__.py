"""The AWS stand-in: moto in this process for --demo, on loopback for the sandbox, and the one place
moto is taught what AWS does that it lacks (gap_fills)."""
