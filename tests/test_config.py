"""Configuration: defaults, a file, overrides, and clear errors."""

from __future__ import annotations

import pytest

from outcomes.config import Settings, load_settings
from outcomes.errors import ConfigurationError


def test_defaults_match_the_documented_ones():
    settings = load_settings()
    assert settings == Settings()
    assert settings.data_end == "2024-03-31"
    assert settings.windows_months == (6, 12, 24)


def test_file_then_overrides(tmp_path):
    path = tmp_path / "outcomes.toml"
    path.write_text('data_end = "2023-03-31"\nwindows_months = [12]\nseed = 7\n', encoding="utf-8")
    settings = load_settings(path, seed=11, scale=None)
    assert settings.data_end == "2023-03-31"
    assert settings.windows_months == (12,)
    assert settings.seed == 11  # the command line wins
    assert settings.scale == 1.0  # None means "not given"


def test_unknown_setting_is_named(tmp_path):
    path = tmp_path / "outcomes.toml"
    path.write_text("data_ends = 1\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown setting.*data_ends"):
        load_settings(path)


def test_unreadable_file_is_a_configuration_error(tmp_path):
    path = tmp_path / "outcomes.toml"
    path.write_text("data_end = \n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot read the configuration"):
        load_settings(path)
