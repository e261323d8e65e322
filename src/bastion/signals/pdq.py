"""PDQ: Meta's 256-bit perceptual image hash, with its quality score and dihedral variants.

Constants and bit layout follow Meta's reference (facebook/ThreatExchange, pdq/README.md and
pdq/cpp/hashing/pdqhashing.cpp): two hashes match when their Hamming distance is <= 31;
a hash with quality below 50 is unreliable and is not used for matching; hex is the 256 bits
most significant first (16 words of 16 bits, highest word first), lower case.

Two ways to compute it:

* `pdq_exact(rgb)`: Meta's C++ reference through the `pdqhash` binding on the full-resolution
  image. Bit for bit what python-threatexchange and HMA compute.
* `pdq_from_luma(luma, full_size, scale)`: Bastion's fast path. It takes a luminance plane that
  was decoded at reduced size (JPEG DCT scaling, box reduction) and applies a linear operator
  that reproduces the reference's Jarosz tent filter and 64x64 decimation *as if* they had run
  at full resolution (see `pdq_reduce`). The 64x64 buffer then goes through the same quality,
  DCT and median steps as the reference. On the reference images it stays within 2 bits of
  the full-resolution hash (tests/test_pdq_reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.signals.base import SignalParseError, SignalType, normalise_hex

MATCH_THRESHOLD = (
    31  # pdq/README.md: "Distance Threshold to consider two hashes to be similar/matching: <=31"
)
MAX_THRESHOLD = 63
QUALITY_THRESHOLD = (
    50  # pdq/README.md: "Quality Threshold where we recommend discarding hashes: <=49"
)
MIN_HASHABLE_DIM = 5  # pdqhashing.cpp: smaller images hash to zero with quality 0
ZERO_HEX = "0" * 64

# Order of pdqhash.compute_dihedral and of the reference's pdqDihedralHash256esFromFloatLuma.
DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flipplus1",
    "flipminus1",
)


class PDQ(SignalType):
    name = "pdq"
    description = "PDQ perceptual image hash (256 bits; match at Hamming distance <= 31)"
    max_distance = MAX_THRESHOLD
    default_threshold = MATCH_THRESHOLD

    def parse(self, text: str) -> str:
        return normalise_hex(self.name, text, 64)

    def distance(self, a: str, b: str) -> int:
        return hamming(a, b)


def hamming(a: str, b: str) -> int:
    """Hamming distance of two 64-character hex PDQ hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True, slots=True)
class PdqHash:
    """One image's PDQ hash, its quality (0-100) and its 8 dihedral variants.

    `dihedral[k]` is the hash of the image transformed by `DIHEDRAL_NAMES[k]`, derived from the
    same DCT (free to compute, as in the reference). `dihedral[0] == hex`.
    """

    hex: str
    quality: int
    dihedral: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """True when the hash may be used for matching (quality >= 50 and not all zero)."""
        return self.quality >= QUALITY_THRESHOLD and self.hex != ZERO_HEX

    @property
    def unusable_reason(self) -> str | None:
        if self.hex == ZERO_HEX:
            return "featureless image: all-zero hash"
        if self.quality < QUALITY_THRESHOLD:
            return f"quality {self.quality} is below {QUALITY_THRESHOLD}"
        return None

    @classmethod
    def parse(cls, text: str, quality: int = 100) -> PdqHash:
        """A hash read from a list, where only the hex (and maybe the quality) is known."""
        value = PDQ().parse(text)
        if not 0 <= quality <= 100:
            raise SignalParseError("pdq", str(quality), "quality must be between 0 and 100")
        return cls(hex=value, quality=quality, dihedral=(value,))


ZERO_HASH = PdqHash(hex=ZERO_HEX, quality=0, dihedral=(ZERO_HEX,) * 8)


def _bits_to_hex(bits_k: np.ndarray) -> str:
    """bits_k[k] is bit k (DCT coefficient k = row*16 + col); hex is most significant first."""
    return np.packbits(bits_k[::-1].astype(np.uint8)).tobytes().hex()


def _threshold(coefficients: np.ndarray) -> str:
    flat = coefficients.reshape(256)
    # The reference's Torben median returns the lower median of the 256 values.
    median = np.partition(flat, 127)[127]
    return _bits_to_hex(flat > median)


_I = np.arange(16)[:, None]
_J = np.arange(16)[None, :]
_NEG_J_EVEN = np.where(_J % 2 == 0, -1.0, 1.0).astype(np.float32)
_NEG_I_EVEN = np.where(_I % 2 == 0, -1.0, 1.0).astype(np.float32)
_NEG_IJ_ODD = np.where((_I + _J) % 2 == 1, -1.0, 1.0).astype(np.float32)


def _dihedral_coefficients(b: np.ndarray) -> tuple[np.ndarray, ...]:
    """DCTs of the 8 rotations/flips, from one DCT (pdqhashing.cpp, dihedral variant).

    Index i of the 16x16 DCT is frequency i+1, so an even index is an odd (antisymmetric)
    frequency whose sign flips when the image is mirrored along that axis.
    """
    return (
        b,
        (b * _NEG_J_EVEN).T,
        b * _NEG_IJ_ODD,
        (b * _NEG_I_EVEN).T,
        b * _NEG_I_EVEN,
        b * _NEG_J_EVEN,
        b.T,
        (b * _NEG_IJ_ODD).T,
    )


_DCT = (
    np.sqrt(2.0 / 64)
    * np.cos(np.pi / (2 * 64) * np.arange(1, 17)[:, None] * (2 * np.arange(64)[None, :] + 1))
).astype(np.float32)


def quality_of_buffer(buffer64: np.ndarray) -> int:
    """pdqImageDomainQualityMetric: summed, truncated gradients of the 64x64 buffer / 90."""
    b = buffer64.astype(np.float32, copy=False)
    vertical = np.abs((b[1:, :] - b[:-1, :]) * 100 / 255).astype(np.int32).sum()
    horizontal = np.abs((b[:, 1:] - b[:, :-1]) * 100 / 255).astype(np.int32).sum()
    return min(100, int(vertical + horizontal) // 90)


def pdq_from_buffer64(buffer64: np.ndarray) -> PdqHash:
    """Quality, 16x16 DCT (DC row and column skipped), median threshold, dihedral variants."""
    b = np.ascontiguousarray(buffer64, dtype=np.float32)
    if b.shape != (64, 64):
        raise ValueError(f"PDQ buffer must be 64x64, got {b.shape}")
    quality = quality_of_buffer(b)
    dct = _DCT @ b @ _DCT.T
    dihedral = tuple(_threshold(c) for c in _dihedral_coefficients(dct))
    return PdqHash(hex=dihedral[0], quality=quality, dihedral=dihedral)


def pdq_exact(rgb: np.ndarray) -> PdqHash:
    """Meta's reference PDQ (via `pdqhash`) on a full-resolution RGB uint8 array (H, W, 3)."""
    import pdqhash

    height, width = rgb.shape[:2]
    if height < MIN_HASHABLE_DIM or width < MIN_HASHABLE_DIM:
        return ZERO_HASH
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb, dtype=np.uint8))
    dihedral = tuple(np.packbits(np.asarray(v, dtype=np.uint8)).tobytes().hex() for v in vectors)
    return PdqHash(hex=dihedral[0], quality=int(quality), dihedral=dihedral)


def pdq_from_luma(
    luma: np.ndarray, full_size: tuple[int, int], scale: tuple[float, float] = (1.0, 1.0)
) -> PdqHash:
    """Fast PDQ from a luminance plane decoded at `1/scale` of the full size (width, height).

    The result approximates what the reference computes on the full-resolution image; with
    scale (1, 1) and float luma it is the reference computation up to float rounding.
    """
    from bastion.signals.pdq_reduce import buffer64_from_luma

    width, height = full_size
    if height < MIN_HASHABLE_DIM or width < MIN_HASHABLE_DIM:
        return ZERO_HASH
    return pdq_from_buffer64(buffer64_from_luma(luma, full_size, scale))


def dihedral_index(name: str) -> int:
    try:
        return DIHEDRAL_NAMES.index(name)
    except ValueError:
        raise ValueError(
            f"unknown dihedral variant {name!r}; expected one of {', '.join(DIHEDRAL_NAMES)}"
        ) from None
