"""The app's screens: Today, Run (routines and incidents), and small modal dialogs."""
