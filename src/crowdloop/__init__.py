"""crowdloop: a self-hosted platform where people and AI models label data together."""

__version__ = "0.1.0"
