# A variable file: not loaded unless named with -var-file (only *.auto.evalvars.hcl files are
# loaded automatically). Paths given to -var-file are relative to the configuration directory.
limit = 10
