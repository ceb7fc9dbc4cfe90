// Package docs holds the generated API spec (docs/generate.sh): the server
// serves these files byte for byte.
package docs

import _ "embed"

// SwaggerJSON is docs/swagger.json (Swagger 2.0).
//
//go:embed swagger.json
var SwaggerJSON []byte

// OpenAPIJSON is docs/openapi.json (OpenAPI 3.0), the input for client
// generators.
//
//go:embed openapi.json
var OpenAPIJSON []byte
