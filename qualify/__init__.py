"""Qualify: training and quality management for regulated industries."""
