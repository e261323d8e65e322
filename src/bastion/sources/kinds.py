"""Media kinds from names and from Telegram's `media_type`. A kind is a hint for reports and for
choosing a hasher; the decoder still decides by content."""

from __future__ import annotations

from bastion.sources.model import MediaKind

_BY_EXTENSION: dict[str, MediaKind] = {
    **dict.fromkeys(
        ("jpg", "jpeg", "jpe", "png", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif"),
        MediaKind.PHOTO,
    ),
    "gif": MediaKind.ANIMATION,
    **dict.fromkeys(
        ("mp4", "m4v", "mov", "avi", "mkv", "webm", "wmv", "flv", "3gp", "mpg", "mpeg", "ts"),
        MediaKind.VIDEO,
    ),
    **dict.fromkeys(("mp3", "m4a", "aac", "flac", "wav", "wma", "opus"), MediaKind.AUDIO),
    "ogg": MediaKind.VOICE,
    "oga": MediaKind.VOICE,
    "tgs": MediaKind.STICKER,
    "vcard": MediaKind.CONTACT,
    "vcf": MediaKind.CONTACT,
}

# tdesktop's `media_type` values (export_output_json.cpp, checked in this order by the writer).
_BY_MEDIA_TYPE: dict[str, MediaKind] = {
    "sticker": MediaKind.STICKER,
    "video_message": MediaKind.VIDEO_MESSAGE,
    "voice_message": MediaKind.VOICE,
    "animation": MediaKind.ANIMATION,
    "video_file": MediaKind.VIDEO,
    "audio_file": MediaKind.AUDIO,
}

# tdesktop's folder names (export_data_types.cpp, DocumentFolder). Only a fallback: GIFs and
# video stickers carry a video attribute and so land in video_files/.
_BY_FOLDER: dict[str, MediaKind] = {
    "photos": MediaKind.PHOTO,
    "profile_pictures": MediaKind.PHOTO,
    "video_files": MediaKind.VIDEO,
    "animations": MediaKind.ANIMATION,
    "stickers": MediaKind.STICKER,
    "voice_messages": MediaKind.VOICE,
    "round_video_messages": MediaKind.VIDEO_MESSAGE,
    "files": MediaKind.DOCUMENT,
    "contacts": MediaKind.CONTACT,
}


def kind_from_name(path: str) -> MediaKind:
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return MediaKind.UNKNOWN
    return _BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), MediaKind.DOCUMENT)


def kind_from_media_type(media_type: object) -> MediaKind:
    """A JSON `file`'s kind. No media_type means a plain document (a picture sent "as file"
    too): tdesktop writes no "photo" media_type; photos use the `photo` key."""
    if media_type is None:
        return MediaKind.DOCUMENT
    return _BY_MEDIA_TYPE.get(str(media_type), MediaKind.UNKNOWN)


def kind_from_export_path(path: str) -> MediaKind:
    """For HTML references whose box does not say: the tdesktop folder, then the extension."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[-2] in _BY_FOLDER:
        return _BY_FOLDER[parts[-2]]
    return kind_from_name(path)
