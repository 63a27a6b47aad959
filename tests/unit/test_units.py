"""Display conversions against exact values of DOMAIN.md §0."""

import math

import pytest

from bench import units


def test_arcmin_and_arcsec_exact():
    assert units.arcmin_to_rad(1.0) == pytest.approx(2.908882e-4, rel=1e-6)
    assert units.arcsec_to_rad(1.0) == pytest.approx(4.848137e-6, rel=1e-6)
    assert units.rad_to_arcmin(math.pi / 10800) == pytest.approx(1.0, rel=1e-15)


def test_stiffness_catalogue_unit():
    # DOMAIN.md §0: 1 Nm/arcmin = 3437.747 Nm/rad; RV-42N 113 Nm/arcmin = 3.8847e5 Nm/rad
    assert units.nm_arcmin_to_nm_rad(1.0) == pytest.approx(3437.747, rel=1e-6)
    assert units.nm_arcmin_to_nm_rad(113.0) == pytest.approx(3.8847e5, rel=1e-4)
    assert units.nm_rad_to_nm_arcmin(3.8847e5) == pytest.approx(113.0, rel=1e-4)


def test_speed_and_power_g9():
    # G9: 3000 min⁻¹ × 10 N·m → 3141.6 W
    assert units.rpm_to_rad_s(3000.0) * 10.0 == pytest.approx(3141.6, abs=0.05)
    assert units.rad_s_to_rpm(units.rpm_to_rad_s(1234.5)) == pytest.approx(1234.5)


def test_to_display():
    assert units.to_display(units.arcmin_to_rad(2.5), "arcmin") == pytest.approx(2.5)
    assert units.to_display(0.725, "%") == pytest.approx(72.5)
