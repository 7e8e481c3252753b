package main

import (
	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/exercises"
)

func newExerciseSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of exercise specs, for editors and CI",
		Long: "exercise schema prints the JSON Schema (draft 2020-12) of exercise specs, the one shipped as\n" +
			"exercises/schema.json and generated from the spec's Go types. Point an editor's YAML language\n" +
			"server at it to complete and check specs as you type.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(exercises.SchemaJSON())
			return err
		},
	}
}
