"""How many SMS segments a text takes: what `segmentCount` and delivery attempts report.

A text entirely in the GSM 03.38 alphabet goes as 7-bit characters (160 in one segment, 153 per
part when concatenated); anything else (an emoji, most non-Latin scripts) forces UCS-2 (70, or
67 per part, counted in UTF-16 code units).
"""

from __future__ import annotations

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segment_count(text: str) -> int:
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        septets = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
