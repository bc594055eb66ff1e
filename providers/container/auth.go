package container

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/registry"
)

// ngcRegistry is NVIDIA's registry; its user is always "$oauthtoken" with an NGC API key.
const ngcRegistry = "nvcr.io"

// dockerConfig is the part of ~/.docker/config.json that evalplan reads.
type dockerConfig struct {
	Auths map[string]struct {
		Auth          string `json:"auth"`
		Username      string `json:"username"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	} `json:"auths"`
}

// credentials returns the registry credentials for an image, nil for anonymous access.
func (c *Client) credentials(img Image) (*registry.AuthConfig, error) {
	host := img.Registry()
	if host == ngcRegistry {
		if key := c.env("NGC_API_KEY"); key != "" {
			return &registry.AuthConfig{Username: "$oauthtoken", Password: key, ServerAddress: ngcRegistry}, nil
		}
	}
	path := c.dockerConfigPath()
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read registry credentials: %w", err)
	}
	var cfg dockerConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("read registry credentials from %s: %w", path, err)
	}
	for key, a := range cfg.Auths {
		if authHost(key) != host {
			continue
		}
		ac := &registry.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, ServerAddress: key}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("%s: auths[%q].auth is not base64: %w", path, key, err)
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return nil, fmt.Errorf("%s: auths[%q].auth is not user:password", path, key)
			}
			ac.Username, ac.Password = user, pass
		}
		return ac, nil
	}
	return nil, nil
}

// encodedAuth is the X-Registry-Auth header value for an image ("" for anonymous access).
func (c *Client) encodedAuth(img Image) (string, error) {
	ac, err := c.credentials(img)
	if err != nil || ac == nil {
		return "", err
	}
	return registry.EncodeAuthConfig(*ac)
}

// dockerConfigPath is $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
func (c *Client) dockerConfigPath() string {
	if dir := c.env("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	if home := c.env("HOME"); home != "" {
		return filepath.Join(home, ".docker", "config.json")
	}
	return ""
}

// authHost is the registry host of a config.json auths key: "https://host:5000/v1/" →
// "host:5000". (Docker Hub's legacy key is not mapped: evaluation images live elsewhere.)
func authHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key, _, _ = strings.Cut(key, "/")
	return key
}
