"""Money at risk over the day: what the phones signed that the chain has not yet paid.

The rig samples, per machine, the cumulative the phones signed (ground truth: a receipt the
machine lost in a power cut is still money its office owes) and the cumulative redeemed on
the chain, at every step of simulated time. From those two step functions: the exposure
(signed - redeemed) at each sample, its peak, and the redeem latency — mean by Little's law
(the time-average exposure over the rate that value is redeemed) and worst case (the longest
time a signed amount waited to be redeemed, at the sampling's resolution).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    at: float            # seconds of simulated time
    signed: int          # cumulative the phones signed
    redeemed: int        # cumulative redeemed on the chain

    @property
    def exposure(self) -> int:
        return max(0, self.signed - self.redeemed)


@dataclass
class Exposure:
    """One machine's samples, in time order."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        if self.samples and sample.at < self.samples[-1].at:
            raise ValueError(f"sample at {sample.at} s comes before the last one at "
                             f"{self.samples[-1].at} s")
        self.samples.append(sample)

    @property
    def peak(self) -> int:
        return max((s.exposure for s in self.samples), default=0)

    def area(self) -> float:
        """The integral of exposure over the samples (value * seconds), each held until the next."""
        return sum(a.exposure * (b.at - a.at) for a, b in zip(self.samples, self.samples[1:],
                                                               strict=False))

    def mean_latency(self) -> float | None:
        """Mean seconds from signed to redeemed, per unit of value (Little's law); None when
        nothing was redeemed."""
        redeemed = self.samples[-1].redeemed - self.samples[0].redeemed if self.samples else 0
        return self.area() / redeemed if redeemed > 0 else None

    def worst_latency(self) -> float | None:
        """The longest any signed amount waited to be redeemed (None: something signed was
        never redeemed within the samples)."""
        worst = 0.0
        for i, s in enumerate(self.samples):
            if s.signed <= (self.samples[i - 1].signed if i else 0):
                continue              # nothing new signed since the last sample
            paid = next((t for t in self.samples[i:] if t.redeemed >= s.signed), None)
            if paid is None:
                return None
            worst = max(worst, paid.at - s.at)
        return worst
