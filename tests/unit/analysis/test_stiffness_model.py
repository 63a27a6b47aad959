"""Three-slope torsion model and HD partial-load efficiency against DOMAIN.md §3 (G1–G6)."""

import numpy as np
import pytest

from bench.analysis import partial_load_efficiency, torsion_angle_rad, torsion_torque_nm
from bench.units import rad_to_arcmin


def test_g1_hfuc_32_100_at_60nm():
    # DOMAIN.md G1: 29/6.7e4 + 31/1.1e5 = 7.1465e-4 rad = 2.457 arcmin (catalogue prints 7.15e-4, 2.5')
    # K3 is not used below T2 = 108 N·m; 1.2e5 from Table B.
    phi = torsion_angle_rad(60.0, 6.7e4, 1.1e5, 1.2e5, 29.0, 108.0)
    assert phi == pytest.approx(7.1465e-4, abs=5e-8)
    assert rad_to_arcmin(phi) == pytest.approx(2.457, abs=5e-4)


@pytest.mark.parametrize("k, t12, torques, arcmin", [
    # G2 CSF-17-50: K 8.1/11/13 e3, T1 3.9, T2 12 -> 1.655', 4.187', 5.244' at 3.9, 12, 16 N·m
    ((8.1e3, 11e3, 13e3), (3.9, 12.0), (3.9, 12.0, 16.0), (1.655, 4.187, 5.244)),
    # G3 CSF-17-100: K 10/14/16 e3 -> 1.341', 3.330', 5.908' at 3.9, 12, 24 N·m
    ((10e3, 14e3, 16e3), (3.9, 12.0), (3.9, 12.0, 24.0), (1.341, 3.330, 5.908)),
    # G4 CSF-25-50: K 25/34/44 e3, T1 14, T2 48 -> 1.925', 4.453', 5.363' at 14, 39, 48 N·m
    ((25e3, 34e3, 44e3), (14.0, 48.0), (14.0, 39.0, 48.0), (1.925, 4.453, 5.363)),
])
def test_g2_to_g4_catalogue_examples(k, t12, torques, arcmin):
    got = rad_to_arcmin(torsion_angle_rad(np.array(torques), *k, *t12))
    np.testing.assert_allclose(got, arcmin, atol=6e-4)   # DOMAIN rounds to 0.001'


def test_g2_radians():
    # DOMAIN.md G2 also gives the radians: 4.8148e-4, 1.21785e-3, 1.52554e-3
    got = torsion_angle_rad(np.array([3.9, 12.0, 16.0]), 8.1e3, 11e3, 13e3, 3.9, 12.0)
    np.testing.assert_allclose(got, [4.8148e-4, 1.21785e-3, 1.52554e-3], rtol=2e-5)


def test_symmetric_and_inverse():
    k = (8.1e3, 11e3, 13e3, 3.9, 12.0)
    t = np.linspace(-20.0, 20.0, 4001)
    phi = torsion_angle_rad(t, *k)
    np.testing.assert_allclose(torsion_angle_rad(-t, *k), -phi, rtol=0, atol=0)
    np.testing.assert_allclose(torsion_torque_nm(phi, *k), t, atol=1e-12)
    assert np.all(np.diff(phi) > 0)
    assert torsion_angle_rad(0.0, *k) == 0.0
    # slope in each segment is 1/K of that segment
    assert (torsion_angle_rad(2.0, *k) - torsion_angle_rad(1.0, *k)) == pytest.approx(1 / 8.1e3)
    assert (torsion_angle_rad(-15.0, *k) - torsion_angle_rad(-14.0, *k)) == pytest.approx(-1 / 13e3)


def test_bad_model_parameters():
    with pytest.raises(ValueError, match="t1 < t2"):
        torsion_angle_rad(1.0, 1e4, 1e4, 1e4, 5.0, 3.0)
    with pytest.raises(ValueError, match="k2"):
        torsion_torque_nm(1e-4, 1e4, 0.0, 1e4, 1.0, 3.0)


def test_g5_hfuc_20_80_partial_load():
    # DOMAIN.md G5: V = 19.6/34 = 0.57, K = 0.93 (catalogue curve), ηL = 0.78·0.93 = 72.5 %
    k_curve = ([0.5, 0.65], [0.93, 0.93])   # the catalogue curve reads K = 0.93 around V = 0.57
    eta = partial_load_efficiency(0.78, 19.6, 34.0, k_curve)
    assert eta == pytest.approx(0.7254, abs=5e-4)


def test_g6_shg_20_80_partial_load_with_eta_e():
    # DOMAIN.md G6: V = 35/44 = 0.8, K = 0.9, ηe = −6.6 %, ηL = 0.9·(62 − 6.6) % = 49.9 %
    eta = partial_load_efficiency(0.62, 35.0, 44.0, ([0.75, 0.85], [0.9, 0.9]), efficiency_extra=-0.066)
    assert eta == pytest.approx(0.4986, abs=5e-4)


def test_partial_load_outside_curve_raises():
    with pytest.raises(ValueError, match="outside"):
        partial_load_efficiency(0.8, 5.0, 34.0, ([0.5, 1.0], [0.9, 1.0]))
