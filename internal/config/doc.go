// Package config owns yimen's one typed configuration: the Config struct, its
// loading from a YAML file plus YIMEN_* environment overrides, defaults, and
// validation at start-up with errors that name the key and the file line.
package config
