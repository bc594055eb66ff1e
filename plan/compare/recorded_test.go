package compare

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecorded(t *testing.T) {
	c := Paired(byID(ok(1, 1, 0)), byID(ok(0, 1, 0)), "acc")
	c.Identity, c.BaseIdentity = "new-1", "base-1"
	// State holds the comparison as plain JSON values.
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var recorded any
	if err := json.Unmarshal(raw, &recorded); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		v              any
		identity, base string
		want           *Comparison
		wantErr        error
	}{
		{name: "current", v: recorded, identity: "new-1", base: "base-1", want: c},
		{name: "not recorded", v: nil, identity: "new-1", base: "base-1", wantErr: ErrNotRecorded},
		{name: "new run changed", v: recorded, identity: "new-2", base: "base-1", wantErr: ErrStale},
		{name: "base run changed", v: recorded, identity: "new-1", base: "base-2", wantErr: ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Recorded(tt.v, tt.identity, tt.base)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Recorded error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Recorded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		want    *Comparison
		wantErr bool
	}{
		{
			name: "state's plain JSON form",
			v: map[string]any{
				"metric": "acc", "diff": 0.5, "n": float64(2), "significant": false,
				"stderr": 0.5, "ci95": []any{-0.48, 1.48},
				"excluded": map[string]any{"errored": float64(1), "unmatched": float64(2)},
			},
			want: &Comparison{
				Stat:     Stat{Diff: 0.5, Stderr: ptr(0.5), CI95: &[2]float64{-0.48, 1.48}, N: 2},
				Metric:   "acc",
				Excluded: Excluded{Errored: 1, Unmatched: 2},
			},
		},
		{name: "not an object", v: "diff", wantErr: true},
		{name: "not JSON", v: func() {}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}
