"""The model side: the sentence encoder, the Rasa components built on it (featurizer, intent
classifier), training and evaluation. Rasa types appear only here and in bot/dialogue.py."""
