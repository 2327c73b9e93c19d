"""Shared numerical building blocks (one home each)."""

__all__ = []
