package config

// VarArg is one -var or -var-file command-line argument. For -var, Name and Value are set; for
// -var-file, File is set.
type VarArg struct {
	// Name and Value come from -var name=value. Value is parsed as an HCL expression when the
	// variable's type is not a string (a list, a number, ...), and used as a literal string
	// otherwise, as Terraform does.
	Name, Value string
	// File comes from -var-file=FILE: a path relative to the working directory, or absolute.
	File string
}

// LoadOptions are the inputs of Load beyond the configuration directory.
type LoadOptions struct {
	// Vars are the -var and -var-file arguments in command-line order; later ones win.
	Vars []VarArg
	// Environ is the environment in os.Environ form. EVALPLAN_VAR_name and the env() function
	// read only this, never the process environment.
	Environ []string
	// Catalog validates benchmark, preset and category names. When nil, names are not
	// validated against a catalog (task.X references still are).
	Catalog Catalog
	// Prompt asks for the value of a required variable that no other source set (its name,
	// description and sensitivity are in v), as Terraform does on a terminal. The answer is
	// taken as -var's would be. Nil never asks: the variable is reported missing.
	Prompt func(v *Variable) (string, error)
}

// Catalog is what the loader needs of the benchmark catalog.
type Catalog interface {
	// Lookup resolves a benchmark name as written (qualified "harness.task", "native.x", or a
	// bare unambiguous task name) to its canonical qualified name; the error says why not
	// (unknown with suggestions, or ambiguous listing candidates).
	Lookup(name string) (canonical string, err error)
	// HasPreset reports whether a suite preset of that name exists.
	HasPreset(name string) bool
	// HasCategory reports whether a benchmark category of that name exists.
	HasCategory(name string) bool
}

// Mark is the type of the cty value marks this package sets.
type Mark string

// Sensitive marks values that must never be shown: values of variables declared with
// sensitive = true. Test with value.HasMark(config.Sensitive).
const Sensitive Mark = "sensitive"

// EnvVarPrefix is the prefix of environment variables that set input variables:
// EVALPLAN_VAR_model sets var.model.
const EnvVarPrefix = "EVALPLAN_VAR_"
