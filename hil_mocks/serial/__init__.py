"""Simulated serial / TCP instruments (DSP7000, Modbus RTU torque and temperature, SCPI power analyzer).

Each owns one end of a pseudo-terminal or a loopback TCP port, speaks the instrument's bytes, and
reads its values from the plant (or any object with the plant contract's attributes).
"""
