package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"go.yaml.in/yaml/v3"
)

// FieldError names a configuration key, and where known the file and line.
type FieldError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *FieldError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Msg)
}

func (e *FieldError) Unwrap() error { return errs.ErrInvalid }

// Load reads path (YAML), applies YIMEN_* overrides from env, fills defaults and
// validates. env is usually os.Environ().
func Load(path string, env []string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, env)
}

// Parse is Load on bytes already read; name is used in error messages.
func Parse(name string, data []byte, env []string) (Config, error) {
	cfg := Defaults()
	err := parseInto(name, data, env, "YIMEN", &cfg, cfg.Validate)
	if err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parseInto decodes data over the defaults already in cfg (unknown keys
// refused), applies env overrides under prefix and validates, naming the
// file and line of each bad key.
func parseInto(name string, data []byte, env []string, prefix string, cfg any, validate func() error) error {
	lines := map[string]int{}
	if len(bytes.TrimSpace(data)) > 0 {
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return fmt.Errorf("%s: %w: %v", name, errs.ErrInvalid, err)
		}
		collectLines(&root, "", lines)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("%s: %w: %v", name, errs.ErrInvalid, err)
		}
	}
	if err := applyEnv(cfg, prefix, env); err != nil {
		return err
	}
	if err := validate(); err != nil {
		var fe *FieldError
		var all []error
		for _, e := range unwrapJoin(err) {
			if errors.As(e, &fe) {
				fe.File = name
				fe.Line = lines[fe.Key]
				if fe.Line == 0 {
					fe.Line = lines[parentKey(fe.Key)]
				}
			}
			all = append(all, e)
		}
		return errors.Join(all...)
	}
	return nil
}

func unwrapJoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func parentKey(k string) string {
	if i := strings.LastIndexAny(k, ".["); i > 0 {
		return k[:i]
	}
	return k
}

// collectLines records the line of every key path, e.g. "sip.udp" or "tenants[0].name".
func collectLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collectLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out[k] = n.Content[i].Line
			collectLines(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := fmt.Sprintf("%s[%d]", prefix, i)
			out[k] = c.Line
			collectLines(c, k, out)
		}
	}
}

// applyEnv sets scalar fields from YIMEN_<SECTION>_<KEY> variables, e.g.
// YIMEN_SIP_UDP=0.0.0.0:5060 or YIMEN_RTP_PORT_MIN=30000. Lists are comma separated.
func applyEnv(cfg any, prefix string, env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "YIMEN_") {
			vars[k] = v
		}
	}
	if len(vars) == 0 {
		return nil
	}
	var errList []error
	walkFields(reflect.ValueOf(cfg).Elem(), prefix, "", func(envName, key string, f reflect.Value) {
		v, ok := vars[envName]
		if !ok {
			return
		}
		if err := setScalar(f, v); err != nil {
			errList = append(errList, &FieldError{File: "environment", Key: key, Msg: fmt.Sprintf("%s=%q: %v", envName, v, err)})
		}
	})
	return errors.Join(errList...)
}

func walkFields(v reflect.Value, envPrefix, keyPrefix string, fn func(envName, key string, f reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		env := envPrefix + "_" + strings.ToUpper(tag)
		key := tag
		if keyPrefix != "" {
			key = keyPrefix + "." + tag
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			walkFields(f, env, key, fn)
			continue
		}
		fn(env, key, f)
	}
}

func setScalar(f reflect.Value, s string) error {
	if f.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("not settable from the environment")
		}
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("not settable from the environment")
	}
	return nil
}
