"""The model: text features, the topic classifier, the training recipe and the versioned model store."""
