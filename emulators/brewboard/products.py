"""The board's product table: what each product id makes and how long it takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One drink; ``nominal_seconds`` is the real machine's dispensing time."""

    product_id: int
    name: str
    nominal_seconds: float

    def __post_init__(self) -> None:
        if not 0 <= self.product_id <= 0xFFFF:
            raise ValueError(f"product id {self.product_id} of {self.name!r} is not a u16")
        if not self.nominal_seconds > 0:
            raise ValueError(f"product {self.name!r} needs a positive duration, "
                             f"got {self.nominal_seconds}")


DEFAULT_PRODUCTS: dict[int, Product] = {
    p.product_id: p
    for p in (
        Product(1, "espresso", 25.0),
        Product(2, "double espresso", 35.0),
        Product(3, "lungo", 40.0),
        Product(4, "cappuccino", 50.0),
        Product(5, "latte macchiato", 60.0),
        Product(6, "hot water", 20.0),
    )
}
