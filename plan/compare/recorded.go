package compare

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNotRecorded is returned by Recorded when there is no comparison to read.
var ErrNotRecorded = errors.New("not recorded")

// ErrStale is returned by Recorded when the comparison was made for other runs than the
// current ones.
var ErrStale = errors.New("recorded for other runs")

// Decode reads a comparison as state records it: the plain JSON value (maps, slices,
// float64s) that a Comparison becomes once normalised, held in a run's Compare map.
func Decode(v any) (*Comparison, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("decode comparison: %w", err)
	}
	var c Comparison
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode comparison: %w", err)
	}
	return &c, nil
}

// Recorded decodes the comparison v that apply recorded and returns it when it is for the
// runs whose identities are identity (new) and baseIdentity. It returns ErrNotRecorded when
// v is nil and ErrStale when either run has changed since.
func Recorded(v any, identity, baseIdentity string) (*Comparison, error) {
	if v == nil {
		return nil, ErrNotRecorded
	}
	c, err := Decode(v)
	if err != nil {
		return nil, err
	}
	if c.Identity != identity || c.BaseIdentity != baseIdentity {
		return nil, ErrStale
	}
	return c, nil
}
