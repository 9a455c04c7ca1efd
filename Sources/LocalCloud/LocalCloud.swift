// LocalCloud
