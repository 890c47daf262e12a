//! What a Lambda or ECS deployment group moves, read live for the
//! Applications page.
