// What providers and the engine share beside the model (running tools, digests, liveness,
// locks) comes with Cloud, so a target that depends on Cloud needs nothing more.
@_exported import Toolkit
