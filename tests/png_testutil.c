/* png_testutil.c -- see png_testutil.h. */
#include "png_testutil.h"

#include <stdlib.h>
#include <string.h>

#include <png.h>

int png_test_read(const char *path, maso_image *img)
{
    png_image png;
    memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path))
        return -1;
    png.format = PNG_FORMAT_RGB;
    size_t bytes = PNG_IMAGE_SIZE(png);
    unsigned char *pixels = malloc(bytes);
    if (pixels == NULL ||
        !png_image_finish_read(&png, NULL, pixels, 0, NULL)) {
        free(pixels);
        png_image_free(&png);
        return -1;
    }
    img->width = (int)png.width;
    img->height = (int)png.height;
    img->pixels = pixels;
    return 0;
}

int png_test_write(const char *path, const maso_image *img, int fast)
{
    png_image png;
    memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = (png_uint_32)img->width;
    png.height = (png_uint_32)img->height;
    png.format = PNG_FORMAT_RGB;
    if (fast)
        png.flags = PNG_IMAGE_FLAG_FAST;
    return png_image_write_to_file(&png, path, 0, img->pixels, 0, NULL) ? 0
                                                                          : -1;
}
