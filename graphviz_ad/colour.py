"""Colour maths: sRGB <-> CIELAB (D65), the CIEDE2000 difference, and colour-vision-deficiency simulation.

The gain scale of style.py is designed and checked with these: it is interpolated in CIELAB, so equal
steps of log10(gain) look like equal steps of colour, and tests measure its CIEDE2000 differences for
normal vision and for simulated protanopia, deuteranopia and tritanopia.
"""

import math

_SRGB_TO_XYZ = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
_XYZ_TO_SRGB = ((3.2406, -1.5372, -0.4986), (-0.9689, 1.8758, 0.0415), (0.0557, -0.2040, 1.0570))
_WHITE = tuple(sum(row) for row in _SRGB_TO_XYZ)

# Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB.
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _apply(matrix, v):
    return tuple(sum(m * x for m, x in zip(row, v)) for row in matrix)


def _to_linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _to_gamma(c):
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def hex_to_rgb(color):
    """'#rrggbb' -> (r, g, b) in 0..1."""
    return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))


def rgb_to_hex(rgb):
    return "#" + "".join(f"{int(round(min(1.0, max(0.0, c)) * 255)):02x}" for c in rgb)


def _f(t):
    return math.copysign(abs(t) ** (1 / 3), t) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29


def _f_inv(t):
    return t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)


def hex_to_lab(color):
    """'#rrggbb' -> CIELAB (L, a, b) under D65."""
    xyz = _apply(_SRGB_TO_XYZ, [_to_linear(c) for c in hex_to_rgb(color)])
    fx, fy, fz = (_f(v / w) for v, w in zip(xyz, _WHITE))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab_to_hex(lab):
    """CIELAB -> '#rrggbb', clipped into the sRGB gamut."""
    L, a, b = lab
    fy = (L + 16) / 116
    xyz = [_f_inv(t) * w for t, w in zip((fy + a / 500, fy, fy - b / 200), _WHITE)]
    return rgb_to_hex([_to_gamma(c) for c in _apply(_XYZ_TO_SRGB, xyz)])


def mix_lab(a, b, t):
    """The colour a fraction t of the way from hex colour a to hex colour b, in CIELAB."""
    la, lb = hex_to_lab(a), hex_to_lab(b)
    return lab_to_hex([x + (y - x) * t for x, y in zip(la, lb)])


def simulate(color, kind):
    """How `color` looks with a colour-vision deficiency: "protanopia", "deuteranopia" or "tritanopia"."""
    linear = _apply(CVD[kind], [_to_linear(c) for c in hex_to_rgb(color)])
    return rgb_to_hex([_to_gamma(c) for c in linear])


def delta_e(color1, color2):
    """CIEDE2000 colour difference of two hex colours (about 2: just noticeable; 20: clearly different)."""
    return delta_e_lab(hex_to_lab(color1), hex_to_lab(color2))


def delta_e_lab(lab1, lab2):
    """CIEDE2000 difference of two CIELAB colours (Sharma, Wu and Dalal's formulation)."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_big_h = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_mean, c_mean = (L1 + L2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_mean - 30)) + 0.24 * math.cos(math.radians(2 * h_mean))
         + 0.32 * math.cos(math.radians(3 * h_mean + 6)) - 0.20 * math.cos(math.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    r_t = (-2 * math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7))
           * math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2)))))
    dl, dc, dhh = (L2 - L1) / s_l, (c2 - c1) / s_c, d_big_h / s_h
    return math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + r_t * dc * dhh)
