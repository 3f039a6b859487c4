"""Demo data: accounts with public passwords and tokens, and a project of product reviews."""

from crowdloop.demo.seed import DemoAccount, DemoInfo, seed_demo

__all__ = ["DemoAccount", "DemoInfo", "seed_demo"]
