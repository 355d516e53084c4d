"""The version of this package, apart from ``__init__`` so that any wing can name it without importing the
package's public API."""

__version__ = "0.1.0"
