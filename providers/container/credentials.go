package container

// PullAuth is what a pull of an image would authenticate with.
type PullAuth struct {
	// Source names the credentials: "NGC_API_KEY", the path of the config.json that has an
	// entry for the registry, or "" for an anonymous pull.
	Source string
	// Required is true for registries that refuse anonymous pulls of evaluation images
	// (nvcr.io).
	Required bool
}

// PullAuth says which credentials a pull of img would send, without contacting anything.
func (c *Client) PullAuth(img Image) (PullAuth, error) {
	a := PullAuth{Required: img.Registry() == ngcRegistry}
	ac, err := c.credentials(img)
	switch {
	case err != nil:
		return a, err
	case ac == nil:
	case a.Required && c.env("NGC_API_KEY") != "":
		a.Source = "NGC_API_KEY"
	default:
		a.Source = c.dockerConfigPath()
	}
	return a, nil
}

// Missing reports whether a pull would surely be refused: the registry needs credentials and
// there are none.
func (a PullAuth) Missing() bool { return a.Required && a.Source == "" }

// Describe says how a pull would authenticate: "with NGC_API_KEY", "with the credentials in
// PATH", or "anonymously".
func (a PullAuth) Describe() string {
	switch {
	case a.Source == "NGC_API_KEY":
		return "with NGC_API_KEY"
	case a.Source != "":
		return "with the credentials in " + a.Source
	}
	return "anonymously"
}

// CredentialsFix says how to give a pull of img credentials.
func CredentialsFix(img Image) string {
	if img.Registry() == ngcRegistry {
		return "set NGC_API_KEY to an NGC API key (or `docker login nvcr.io`), or pull the image yourself, or set image_mirror to a registry you can reach"
	}
	return "log in with `docker login " + img.Registry() + "`, or pull the image yourself"
}
