// RecipeRuntime
